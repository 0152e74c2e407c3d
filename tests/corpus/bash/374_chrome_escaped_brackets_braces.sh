curl 'http://ECHO/api/items?filter\[status\]=open&fields=\{id,name\}'
