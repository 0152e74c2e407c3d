curl -u 'real:secret' 'http://ignored:creds@ECHO/api/me'
