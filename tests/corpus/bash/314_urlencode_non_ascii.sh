curl --data-urlencode 'city=München' --data-urlencode 'name=José Ñúñez' --data-urlencode 'reaction=👍' http://ECHO/api/feedback
