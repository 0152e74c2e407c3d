curl -H 'X-Forwarded-For: 10.0.0.1' -H 'x-forwarded-for: 10.0.0.2' -H 'content-type: text/plain' -H 'CONTENT-TYPE: application/xml' -d '<ping/>' http://ECHO/api/xml
