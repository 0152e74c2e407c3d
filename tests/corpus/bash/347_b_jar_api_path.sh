curl -b files/cookie_jar.txt http://ECHO/api/account
