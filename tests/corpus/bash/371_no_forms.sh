curl --compressed --no-compressed -L --no-location -k --no-insecure -G --no-get --no-globoff --no-path-as-is -f --no-fail -d 'x=1' 'http://ECHO/api/./no'
