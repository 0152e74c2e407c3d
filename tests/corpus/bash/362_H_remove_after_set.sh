curl -H 'Accept: text/html' -H 'Accept:' -H 'Content-Type:' -d 'raw body' http://ECHO/page
