curl -d @files/form.txt -d @files/crlf.txt -d 'source=cli&' -d '' -d '&dry_run=1' http://ECHO/api/import
