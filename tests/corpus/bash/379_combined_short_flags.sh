curl -sSLk -XPOST -HX-A:1 -d@files/form.txt http://ECHO/api/short
