curl -X PUT -F 'attachments[]=@files/report.csv' -F 'attachments[]=@files/notes.txt' -F 'attachments[]=@files/avatar.png' http://ECHO/api/tickets/77/attachments
