curl 'http://ECHO/api/logs?filter=level|error&range=^1.2.0&sep=%7c&q=a%7cb%7C'
