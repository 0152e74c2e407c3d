curl --data=foo http://ECHO/api/items
