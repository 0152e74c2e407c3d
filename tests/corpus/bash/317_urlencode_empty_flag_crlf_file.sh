curl --data-urlencode 'empty=' --data-urlencode 'flag' --data-urlencode 'lines@files/crlf.txt' -d 'raw=a%20b' http://ECHO/api/raw
