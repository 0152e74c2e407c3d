curl -d $'text=line1\nline2\r\nend\tcol \u00e9 \x41\x42 \u20ac' http://ECHO/api/notes
