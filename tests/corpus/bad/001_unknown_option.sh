curl --frobnicate -H 'Accept: application/json' http://ECHO/api/items
