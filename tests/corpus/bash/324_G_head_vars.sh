curl -G -I --data-ascii "user=$USER_NAME" -d "key=${API_KEY}" http://ECHO/downloads/check
