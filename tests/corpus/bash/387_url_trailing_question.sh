curl 'http://ECHO/api/items?'
