curl -e 'https://app.example.com/start;auto' http://ECHO/api/landing
