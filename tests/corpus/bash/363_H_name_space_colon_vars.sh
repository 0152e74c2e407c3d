curl -H 'X-Custom: spaced' -H 'X-Url: http://x.example/y?a=b:c' -H "Authorization: Bearer $TOKEN" -H "X-Api-Key: ${API_KEY}" http://ECHO/api/h
