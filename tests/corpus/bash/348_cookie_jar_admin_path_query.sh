curl --cookie files/cookie_jar.txt 'http://ECHO/admin/users?page=1'
