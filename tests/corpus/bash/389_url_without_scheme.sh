curl 'ECHO/api/ping?x=1'
