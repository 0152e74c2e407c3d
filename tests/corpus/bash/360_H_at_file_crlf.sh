curl -H @files/headers_crlf.txt http://ECHO/api/export
