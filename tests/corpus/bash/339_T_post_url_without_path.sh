curl -X POST -T files/payload.bin -H 'Content-Type: application/octet-stream' http://ECHO
