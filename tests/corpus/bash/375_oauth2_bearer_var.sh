curl --oauth2-bearer "$TOKEN" http://ECHO/api/me
