curl -u 'jürgen:pässwörd€' http://ECHO/api/me
