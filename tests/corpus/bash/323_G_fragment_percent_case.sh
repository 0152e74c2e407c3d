curl -G -d 'path=%2Fvar%2Flog' -d 'q=caf%C3%A9' 'http://ECHO/api/files?root=%2F#top'
