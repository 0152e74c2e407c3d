curl -H @files/headers.txt -H 'X-Other: 1' http://ECHO/api/h
