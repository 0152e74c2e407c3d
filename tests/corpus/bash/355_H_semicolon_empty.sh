curl -H 'X-Empty;' -H 'Accept;' http://ECHO/api/h
