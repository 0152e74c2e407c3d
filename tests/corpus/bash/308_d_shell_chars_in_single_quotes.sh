curl -d 'cmd=$(rm -rf /)&tick=`whoami`&dq="x"&var=${HOME}&bang=!&bs=\n' http://ECHO/api/raw
