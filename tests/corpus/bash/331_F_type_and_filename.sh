curl -F 'upload=@files/report.csv;type=text/csv;filename=q3-2024.csv' -F 'doc=@files/notes.txt;type=text/plain;charset=utf-8' -F 'logo=@files/avatar.png' http://ECHO/api/uploads
