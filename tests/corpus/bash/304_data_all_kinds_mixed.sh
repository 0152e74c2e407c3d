curl http://ECHO/api/mixed -d 'a=1' --data-binary @files/form.txt --data-raw '@handle' --data-ascii 'z=26' --data-urlencode 'q=x y&z' --data @files/crlf.txt
