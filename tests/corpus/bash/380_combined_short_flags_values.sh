curl -sXPOST -uadmin:pw -bsid=1 -Ainline -Gd 'q=1' http://ECHO/api/short2
