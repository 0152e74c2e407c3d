curl 'http://ECHO/api/v1/./users/../groups//members/?x=1'
