// The compiled parts of asio and Beast, built once for the whole project
// (BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION are set on every
// target that includes them).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
