curl -G --json '{"a":1,"b":[2,3]}' 'http://ECHO/api/query?'
