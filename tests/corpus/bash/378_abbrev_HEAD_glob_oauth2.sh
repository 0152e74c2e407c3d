curl --HEAD --glob --oauth2 tok-abc 'http://ECHO/files/report[1].pdf'
