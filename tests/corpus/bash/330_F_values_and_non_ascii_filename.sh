curl -F 'name=Quarterly report' -F 'year=2024' -F 'file=@files/notes.txt;filename="Zürich notes.txt"' http://ECHO/api/reports
