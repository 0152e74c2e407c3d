curl -X get http://ECHO/api/items
