curl -F 'description=<files/message.txt' -F 'answers=<files/answers.json;type=application/json' -F 'tags=ops' http://ECHO/api/tickets
