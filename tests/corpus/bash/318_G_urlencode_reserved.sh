curl -G --data-urlencode 'q=name:"foo bar" AND status:open' --data-urlencode 'fields=id,title' --data-urlencode 'city=Zürich' http://ECHO/api/search
