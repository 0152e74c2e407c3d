curl -T files/report.csv http://ECHO/uploads/
