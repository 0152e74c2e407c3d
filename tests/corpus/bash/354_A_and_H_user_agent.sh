curl -A 'bot/1.0' -H 'User-Agent: header-wins/2.0' http://ECHO/api/ua
