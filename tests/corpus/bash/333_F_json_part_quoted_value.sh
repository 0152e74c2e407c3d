curl -F 'metadata={"name":"avatar","public":true};type=application/json' -F 'title="Sales; Q3"' -F 'image=@files/avatar.png;type=image/png' http://ECHO/api/media
