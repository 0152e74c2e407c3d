curl 'http://user%40corp.example:p%40ss%3Aw0rd@ECHO/api/me'
