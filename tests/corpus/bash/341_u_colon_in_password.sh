curl -u 'admin:pa:ss:word' http://ECHO/api/admin
