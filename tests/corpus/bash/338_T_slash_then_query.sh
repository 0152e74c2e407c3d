curl -T files/notes.txt 'http://ECHO/dav/shared/?overwrite=1'
