curl --url http://ECHO/api/a --url 'http://ECHO/api/b?x=1'
