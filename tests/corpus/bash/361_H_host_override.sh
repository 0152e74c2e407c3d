curl -H 'Host: api.example.com' -H 'X-Forwarded-Proto: https' http://ECHO/v1/status
