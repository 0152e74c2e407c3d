curl -d 'channel=ops' --data-urlencode 'text@files/urlencode_value.txt' http://ECHO/api/chat.postMessage
