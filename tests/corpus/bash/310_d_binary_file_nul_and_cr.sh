curl -H 'Content-Type: application/octet-stream' -d @files/payload.bin http://ECHO/api/blobs
