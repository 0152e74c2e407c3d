curl -d @files/mac_cr.txt http://ECHO/api/legacy-import
