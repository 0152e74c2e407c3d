curl --data-urlencode 'hello world/ok? yes' --data-urlencode @files/notes.txt http://ECHO/api/raw
