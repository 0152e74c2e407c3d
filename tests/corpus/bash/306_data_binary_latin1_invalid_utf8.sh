curl --data-binary $'name=Andr\xe9&city=K\xf6ln&sig=\xff\xfe\x80' -H 'Content-Type: application/x-www-form-urlencoded; charset=ISO-8859-1' http://ECHO/legacy/register
