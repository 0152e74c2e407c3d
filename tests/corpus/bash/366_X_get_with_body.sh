curl -X GET 'http://ECHO/articles/_search?pretty' -H 'Content-Type: application/json' -d '{"query":{"match":{"title":"curl"}},"size":5}'
