curl http://ECHO/api/items -H
